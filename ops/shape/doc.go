// Package shape holds kernels that move or select data without arithmetic,
// and the tensor generators:
//
//   - relabelling (zero-copy views): Identity, Reshape, Flatten, Squeeze,
//     Unsqueeze, Dropout (inference); Shape, Size
//   - strided reads: Slice, Transpose, Expand, Tile, DepthToSpace,
//     SpaceToDepth
//   - copies of contiguous runs: Concat, Split, Gather, GatherND, Compress,
//     Trilu, ReverseSequence, Pad, CenterCropPad
//   - element-indexed: GatherElements, Scatter, ScatterElements, ScatterND
//     (with add/mul/max/min reductions), NonZero, OneHot, Unique
//   - generators: Constant, ConstantOfShape, EyeLike, Range, RandomNormal,
//     RandomUniform, RandomNormalLike, RandomUniformLike, Multinomial,
//     Bernoulli
//
// Movement kernels view element data by size only (1, 2, 4, 8 bytes or
// string, see raw), so every dtype, float16 and bfloat16 included, shares
// one instantiation per size. Strided reads go through stridedCopy, which
// merges contiguous dimensions, copies whole rows with copy() when the
// innermost read is contiguous and walks transposes in cache-sized tiles.
package shape
