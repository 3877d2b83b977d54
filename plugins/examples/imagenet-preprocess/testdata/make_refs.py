#!/usr/bin/python3
"""Make the reference data the imagenet-preprocess plugin and plugins/imageops
are checked against. Run by hand with Debian's python3-pil, python3-numpy and
python3-torchvision (0.14), and cjpeg from libjpeg-turbo-progs; CI does not
run it, its outputs are committed:

    cd plugins/examples/imagenet-preprocess/testdata && /usr/bin/python3 make_refs.py

For every generated image NAME.EXT it writes
  NAME.resized.png  the uint8 result of PIL's Image.resize(BILINEAR) that
                    torchvision's Resize(256) makes (lossless PNG, so the Go
                    tests can check the resize bit for bit on its own);
  NAME.npy.gz       float32 [3,224,224], the tensor torchvision makes with
                    Resize(256), CenterCrop(224), ToTensor, Normalize(ImageNet),
                    gzipped (.npy v1 inside) to keep the committed data small;
and, for every input that is not already 8-bit RGB, NAME.rgb.png: PIL's
Image.convert("RGB") of it, to check the decoder's colour conversion alone.
A few more small images (GIF, 16-bit grey, grey+alpha, JPEGs: CMYK, grey,
4:4:4, 4:2:2, 4:2:0 at odd sizes, and 4:4:0, 4:1:1, 4:1:0 made with
libjpeg-turbo's cjpeg, from libjpeg-turbo-progs) get only NAME.rgb.png.
For scene320x240.png, extra PIL resizes that shrink (where the filter widens
with the reduction factor) or shrink one axis and enlarge the other:
scene320x240.resize<W>x<H>.png.
scene320x240.r160c224.npy.gz: the same tensor with Resize(160) and
CenterCrop(224), where the crop is padded with zeros.
refs.json records the sizes and versions used.

The images are drawn deterministically (fixed shapes, numpy RandomState noise),
so running the script again reproduces the same pixels.
"""
import gzip
import io
import json
import subprocess

import numpy as np
import PIL
import torch
import torchvision
from PIL import Image, ImageDraw
from torchvision import transforms

EXTRA_RESIZES = [(97, 61), (13, 9), (160, 300), (319, 241)]
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


def scene(w, h, seed):
    """An RGB test picture: smooth gradients (exercise the filter weights),
    hard-edged shapes and thin lines (exercise clipping and antialiasing),
    mild noise (so nothing compresses to a trivial case)."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    r = 255 * x / (w - 1)
    g = 255 * y / (h - 1)
    b = 127.5 + 127.5 * np.sin(x / 9.0) * np.cos(y / 13.0)
    rgb = np.stack([r, g, b], axis=-1)
    rng = np.random.RandomState(seed)
    rgb += rng.normal(0, 6, rgb.shape)
    im = Image.fromarray(np.clip(np.rint(rgb), 0, 255).astype(np.uint8), "RGB")
    d = ImageDraw.Draw(im)
    d.ellipse([w * 0.1, h * 0.15, w * 0.45, h * 0.6], fill=(220, 30, 40), outline=(255, 255, 255), width=3)
    d.rectangle([w * 0.55, h * 0.2, w * 0.9, h * 0.45], fill=(20, 40, 200))
    d.polygon([(w * 0.5, h * 0.55), (w * 0.85, h * 0.95), (w * 0.2, h * 0.9)], fill=(30, 200, 60))
    for i in range(0, w, 17):
        d.line([(i, 0), (i + h // 3, h - 1)], fill=(255, 255, 0), width=1)
    d.text((w * 0.05, h * 0.05), "gonyx 0123", fill=(0, 0, 0))
    return im


def images():
    """name, file extension, PIL image, save options."""
    out = []
    # 320x240 -> resize 341x256 -> (341-224)/2 = 58.5: torchvision's round()
    # rounds half to even (58), not up.
    out.append(("scene320x240", "png", scene(320, 240, 1), {}))
    # A JPEG as phones and cameras make them (4:2:0 chroma), quality 90.
    out.append(("photo500x375", "jpg", scene(500, 375, 2), {"quality": 90}))
    # Paletted PNG, portrait, small: 100x150 is upscaled to 256x384.
    out.append(("palette100x150", "png", scene(100, 150, 3).convert("P", palette=Image.ADAPTIVE, colors=48), {}))
    # Grayscale PNG, portrait 240x320 -> 256x341.
    out.append(("gray240x320", "png", scene(240, 320, 4).convert("L"), {}))
    # RGBA PNG with a varying alpha that PIL's convert("RGB") drops.
    rgba = scene(300, 200, 5).convert("RGBA")
    a = np.fromfunction(lambda yy, xx: (xx * 255 // 299 + yy) % 256, (200, 300)).astype(np.uint8)
    rgba.putalpha(Image.fromarray(a, "L"))
    out.append(("rgba300x200", "png", rgba, {}))
    return out


def decode_only():
    """Formats whose conversion to RGB has a twist in PIL, checked on their own."""
    out = []
    out.append(("gif64x48", "gif", scene(64, 48, 6).convert("P", palette=Image.ADAPTIVE, colors=32), {}))
    # 16-bit grey opens as mode "I", and convert("RGB") clips values to 0..255
    # (it does not scale them down): PIL's behaviour, which we match.
    g16 = (np.arange(64 * 48).reshape(48, 64) * 7).astype(np.uint16)
    out.append(("gray16_64x48", "png", Image.fromarray(g16, "I;16"), {}))
    out.append(("graya64x48", "png", scene(64, 48, 7).convert("LA"), {}))
    # CMYK JPEG (PIL writes an Adobe marker and inverted samples).
    out.append(("cmyk64x48", "jpg", scene(64, 48, 8).convert("CMYK"), {"quality": 95}))
    # Chroma subsamplings at odd sizes (libjpeg's edge handling), and grey.
    for sub, tag in ((0, "444"), (1, "422"), (2, "420")):
        out.append((f"jpeg{tag}_67x45", "jpg", scene(67, 45, 9), {"quality": 92, "subsampling": sub}))
    out.append(("jpeggray_67x45", "jpg", scene(67, 45, 10).convert("L"), {"quality": 92}))
    # Layouts PIL cannot write, made with libjpeg-turbo's cjpeg
    # (libjpeg-turbo-progs): 4:4:0 (libjpeg's "h1v2" interpolation) and
    # 4:1:1 / 4:1:0 (plain replication).
    for sample, tag in (("1x2", "440"), ("4x1", "411"), ("4x2", "410")):
        out.append((f"jpeg{tag}_67x45", "cjpeg", scene(67, 45, 11), {"sample": sample}))
    return out


def npy_gz(arr):
    buf = io.BytesIO()
    np.save(buf, arr)
    # mtime=0 and no file name: the same tensor gives the same bytes.
    return gzip.compress(buf.getvalue(), compresslevel=9, mtime=0)


def main():
    resize = transforms.Resize(256)  # BILINEAR on PIL images: Image.resize
    rest = transforms.Compose([
        transforms.CenterCrop(224),
        transforms.ToTensor(),
        transforms.Normalize(mean=MEAN, std=STD),
    ])
    meta = {"pil": PIL.__version__, "torchvision": torchvision.__version__, "torch": torch.__version__,
            "mean": MEAN, "std": STD, "images": [], "decode_only": []}
    for name, ext, im, opts in images():
        path = f"{name}.{ext}"
        im.save(path, **opts)
        src = Image.open(path).convert("RGB")
        if im.mode != "RGB":
            src.save(f"{name}.rgb.png")
        resized = resize(src)
        resized.save(f"{name}.resized.png")
        full = transforms.Compose([transforms.Resize(256), rest])(Image.open(path).convert("RGB"))
        t = rest(resized)
        assert torch.equal(t, full)
        arr = t.numpy().astype(np.float32)
        assert arr.shape == (3, 224, 224)
        with open(f"{name}.npy.gz", "wb") as f:
            f.write(npy_gz(arr))
        meta["images"].append({"file": path, "mode": im.mode, "size": list(src.size),
                               "resized": list(resized.size)})
    # Resize(160) then CenterCrop(224): the crop is larger than the image,
    # so torchvision pads with zeros first (the plugin's resize/crop config).
    padded = transforms.Compose([transforms.Resize(160), transforms.CenterCrop(224), transforms.ToTensor(),
                                 transforms.Normalize(mean=MEAN, std=STD)])(Image.open("scene320x240.png").convert("RGB"))
    with open("scene320x240.r160c224.npy.gz", "wb") as f:
        f.write(npy_gz(padded.numpy().astype(np.float32)))
    src = Image.open("scene320x240.png").convert("RGB")
    for w, h in EXTRA_RESIZES:
        src.resize((w, h), Image.BILINEAR).save(f"scene320x240.resize{w}x{h}.png")
    meta["extra_resizes"] = [list(s) for s in EXTRA_RESIZES]
    for name, ext, im, opts in decode_only():
        if ext == "cjpeg":
            path = f"{name}.jpg"
            ppm = io.BytesIO()
            im.save(ppm, "PPM")
            jpg = subprocess.run(["cjpeg", "-quality", "92", "-sample", opts["sample"]], input=ppm.getvalue(),
                                 stdout=subprocess.PIPE, check=True).stdout
            with open(path, "wb") as f:
                f.write(jpg)
        else:
            path = f"{name}.{ext}"
            im.save(path, **opts)
        src = Image.open(path)
        meta["decode_only"].append({"file": path, "mode": src.mode, "size": list(src.size)})
        src.convert("RGB").save(f"{name}.rgb.png")
    with open("refs.json", "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
