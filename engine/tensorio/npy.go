package tensorio

import (
	"encoding/binary"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/gonyx/gonyx/engine/tensor"
)

var (
	npyDescr = regexp.MustCompile(`'descr'\s*:\s*'([^']*)'`)
	npyOrder = regexp.MustCompile(`'fortran_order'\s*:\s*(True|False)`)
	npyShape = regexp.MustCompile(`'shape'\s*:\s*\(([^)]*)\)`)
)

// ReadNpy decodes a NumPy .npy file (format versions 1–3, C order, numeric
// and bool dtypes, either byte order).
func ReadNpy(buf []byte) (*tensor.Tensor, error) {
	if len(buf) < 10 || string(buf[:6]) != "\x93NUMPY" {
		return nil, fmt.Errorf("npy: not a .npy file")
	}
	major := buf[6]
	var hlen, off int
	switch major {
	case 1:
		hlen, off = int(binary.LittleEndian.Uint16(buf[8:10])), 10
	case 2, 3:
		if len(buf) < 12 {
			return nil, fmt.Errorf("npy: truncated header")
		}
		hlen, off = int(binary.LittleEndian.Uint32(buf[8:12])), 12
	default:
		return nil, fmt.Errorf("npy: unsupported format version %d", major)
	}
	if hlen < 0 || off+hlen > len(buf) {
		return nil, fmt.Errorf("npy: truncated header")
	}
	header := string(buf[off : off+hlen])
	body := buf[off+hlen:]
	m := npyDescr.FindStringSubmatch(header)
	if m == nil {
		return nil, fmt.Errorf("npy: header has no descr")
	}
	descr := m[1]
	if o := npyOrder.FindStringSubmatch(header); o != nil && o[1] == "True" {
		return nil, fmt.Errorf("npy: Fortran-order arrays are not supported; save with np.ascontiguousarray")
	}
	sm := npyShape.FindStringSubmatch(header)
	if sm == nil {
		return nil, fmt.Errorf("npy: header has no shape")
	}
	shape := []int{}
	for _, p := range strings.Split(sm[1], ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		d, err := strconv.Atoi(p)
		if err != nil || d < 0 {
			return nil, fmt.Errorf("npy: bad shape %q", sm[1])
		}
		shape = append(shape, d)
	}
	n, err := tensor.NumElements(shape)
	if err != nil {
		return nil, fmt.Errorf("npy: %w", err)
	}
	if len(descr) < 2 {
		return nil, fmt.Errorf("npy: bad descr %q", descr)
	}
	var order binary.ByteOrder = binary.LittleEndian
	if descr[0] == '>' {
		order = binary.BigEndian
	}
	code := descr[1:]
	dt, size := npyType(code)
	if dt == tensor.Undefined {
		return nil, fmt.Errorf("npy: unsupported dtype %q", descr)
	}
	if len(body) < n*size {
		return nil, fmt.Errorf("npy: %d bytes of data for %d elements of %s", len(body), n, descr)
	}
	data := tensor.MakeSlice(dt, n)
	for i := 0; i < n; i++ {
		b := body[i*size : (i+1)*size]
		switch d := data.(type) {
		case []float32:
			d[i] = math.Float32frombits(order.Uint32(b))
		case []float64:
			d[i] = math.Float64frombits(order.Uint64(b))
		case []tensor.F16:
			d[i] = tensor.F16(order.Uint16(b))
		case []int8:
			d[i] = int8(b[0])
		case []uint8:
			d[i] = b[0]
		case []bool:
			d[i] = b[0] != 0
		case []int16:
			d[i] = int16(order.Uint16(b))
		case []uint16:
			d[i] = order.Uint16(b)
		case []int32:
			d[i] = int32(order.Uint32(b))
		case []uint32:
			d[i] = order.Uint32(b)
		case []int64:
			d[i] = int64(order.Uint64(b))
		case []uint64:
			d[i] = order.Uint64(b)
		}
	}
	return tensor.FromAny(shape, data)
}

func npyType(code string) (tensor.DType, int) {
	switch code {
	case "f4":
		return tensor.Float32, 4
	case "f8":
		return tensor.Float64, 8
	case "f2":
		return tensor.Float16, 2
	case "i1":
		return tensor.Int8, 1
	case "u1":
		return tensor.Uint8, 1
	case "b1":
		return tensor.Bool, 1
	case "i2":
		return tensor.Int16, 2
	case "u2":
		return tensor.Uint16, 2
	case "i4":
		return tensor.Int32, 4
	case "u4":
		return tensor.Uint32, 4
	case "i8":
		return tensor.Int64, 8
	case "u8":
		return tensor.Uint64, 8
	}
	return tensor.Undefined, 0
}
