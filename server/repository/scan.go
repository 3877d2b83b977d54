package repository

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

const (
	modelFileName  = "model.onnx"
	configFileName = "config.yaml"
)

// modelScan is what the source says about one model right now.
type modelScan struct {
	name string
	// cfg has the defaults applied; meaningful only when err is nil.
	cfg ModelConfig
	// err is a model-level problem (bad config.yaml, no model file); the
	// versions found are still listed so serving ones can be kept.
	err      error
	fsys     fs.FS
	versions map[int64]versionFile
}

type versionFile struct {
	path   string // OS path when the scan's fsys is nil, else a path in fsys
	digest string
}

func (s *modelScan) available() []int64 {
	out := make([]int64, 0, len(s.versions))
	for v := range s.versions {
		out = append(out, v)
	}
	return out
}

// source reads the repository: a folder tree (OS or in-memory) plus extra
// single-file models.
type source struct {
	fsys     fs.FS  // the repository tree; nil when there is none
	osDir    string // the folder fsys reads, when it is on disk
	files    map[string]string
	defaults ModelConfig
}

// scanAll reads every model. An error means the repository itself could
// not be read; callers must not take that as "every model was removed".
func (s *source) scanAll() (map[string]*modelScan, error) {
	out := map[string]*modelScan{}
	if s.fsys != nil {
		entries, err := fs.ReadDir(s.fsys, ".")
		if err != nil {
			return nil, fmt.Errorf("reading the model repository: %w", err)
		}
		for _, e := range entries {
			if validModelName(e.Name()) && isDir(s.fsys, e.Name(), e) {
				out[e.Name()] = s.scanFolder(e.Name())
			}
		}
	}
	for name, file := range s.files {
		if _, dup := out[name]; dup {
			out[name] = duplicateScan(name)
			continue
		}
		out[name] = s.scanFile(name, file)
	}
	return out, nil
}

// scanOne reads one model; found is false when the source has no model of
// that name.
func (s *source) scanOne(name string) (scan *modelScan, found bool, err error) {
	if !validModelName(name) {
		return nil, false, nil
	}
	inTree := false
	if s.fsys != nil {
		info, err := fs.Stat(s.fsys, name)
		switch {
		case err == nil:
			inTree = info.IsDir()
		case !errors.Is(err, fs.ErrNotExist):
			return nil, false, fmt.Errorf("reading model folder %q: %w", name, err)
		}
	}
	file, isFile := s.files[name]
	switch {
	case inTree && isFile:
		return duplicateScan(name), true, nil
	case isFile:
		return s.scanFile(name, file), true, nil
	case inTree:
		return s.scanFolder(name), true, nil
	}
	return nil, false, nil
}

func duplicateScan(name string) *modelScan {
	return &modelScan{name: name, err: fmt.Errorf("model %q is defined twice: as a repository folder and as a single model file", name)}
}

// validModelName rules out names that are not one plain folder name;
// hidden folders (.git, editor temp folders) are not models.
func validModelName(name string) bool {
	return name != "" && !strings.HasPrefix(name, ".") && !strings.ContainsAny(name, `/\`) && fs.ValidPath(name)
}

// isDir follows symbolic links, which are a common way to publish versions.
func isDir(fsys fs.FS, name string, e fs.DirEntry) bool {
	if e.IsDir() {
		return true
	}
	if e.Type()&fs.ModeSymlink == 0 {
		return false
	}
	info, err := fs.Stat(fsys, name)
	return err == nil && info.IsDir()
}

// versionNumber accepts canonical positive decimals only, so "01" and "1"
// cannot both claim version 1.
func versionNumber(name string) (int64, bool) {
	v, err := strconv.ParseInt(name, 10, 64)
	if err != nil || v < 1 || strconv.FormatInt(v, 10) != name {
		return 0, false
	}
	return v, true
}

// scanFolder reads <model>/config.yaml and the model's versions.
func (s *source) scanFolder(name string) *modelScan {
	scan := &modelScan{name: name, versions: map[int64]versionFile{}}
	if s.osDir == "" {
		scan.fsys = s.fsys
	}
	data, err := readConfig(s.fsys, path.Join(name, configFileName))
	if err != nil {
		scan.err = fmt.Errorf("%s: %w", configFileName, err)
	} else {
		scan.cfg, scan.err = s.effectiveConfig(name, data)
	}
	configHash := sha256.Sum256(data)

	entries, err := fs.ReadDir(s.fsys, name)
	if err != nil {
		scan.err = fmt.Errorf("reading model folder: %w", err)
		return scan
	}
	hasVersionFolders := false
	for _, e := range entries {
		v, ok := versionNumber(e.Name())
		if !ok || !isDir(s.fsys, path.Join(name, e.Name()), e) {
			continue
		}
		hasVersionFolders = true
		dir := path.Join(name, e.Name())
		if !isRegular(s.fsys, path.Join(dir, modelFileName)) {
			continue // not (yet) a model: an empty folder or a copy in progress
		}
		digest, err := folderDigest(s.fsys, dir, configHash[:])
		if err != nil {
			continue
		}
		scan.versions[v] = versionFile{path: s.specPath(path.Join(dir, modelFileName)), digest: digest}
	}
	if !hasVersionFolders {
		file := path.Join(name, modelFileName)
		if info, err := fs.Stat(s.fsys, file); err == nil && info.Mode().IsRegular() {
			h := sha256.New()
			h.Write(configHash[:])
			hashFileInfo(h, modelFileName, info)
			scan.versions[1] = versionFile{path: s.specPath(file), digest: hex.EncodeToString(h.Sum(nil)[:16])}
		}
	}
	if len(scan.versions) == 0 && scan.err == nil {
		if hasVersionFolders {
			scan.err = fmt.Errorf("no model file: no version folder holds a %s", modelFileName)
		} else {
			scan.err = fmt.Errorf("no model file: expected %s/<version>/%s or %s/%s", name, modelFileName, name, modelFileName)
		}
	}
	return scan
}

// scanFile describes a single-file model: version 1 with the default config.
func (s *source) scanFile(name, file string) *modelScan {
	scan := &modelScan{name: name, cfg: applyDefaults(ModelConfig{}, keySet{}, s.defaults), versions: map[int64]versionFile{}}
	info, err := os.Stat(file)
	switch {
	case err != nil:
		scan.err = fmt.Errorf("model file: %w", err)
	case !info.Mode().IsRegular():
		scan.err = fmt.Errorf("model file %s is not a regular file", file)
	default:
		h := sha256.New()
		hashFileInfo(h, file, info)
		scan.versions[1] = versionFile{path: file, digest: hex.EncodeToString(h.Sum(nil)[:16])}
	}
	return scan
}

func (s *source) effectiveConfig(name string, data []byte) (ModelConfig, error) {
	cfg, err := ParseConfig(data)
	if err != nil {
		return ModelConfig{}, fmt.Errorf("%s: %w", configFileName, err)
	}
	if cfg.Name != "" && cfg.Name != name {
		return ModelConfig{}, fmt.Errorf("%s: name %q does not match the model folder %q", configFileName, cfg.Name, name)
	}
	cfg = applyDefaults(cfg, presentKeys(data), s.defaults)
	cfg.Name = name
	if err := cfg.checkEffective(); err != nil {
		return ModelConfig{}, fmt.Errorf("%s: %w", configFileName, err)
	}
	return cfg, nil
}

func (s *source) specPath(p string) string {
	if s.osDir == "" {
		return p
	}
	return filepath.Join(s.osDir, filepath.FromSlash(p))
}

// readConfig returns nil when there is no config.yaml.
func readConfig(fsys fs.FS, name string) ([]byte, error) {
	f, err := fsys.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxConfigSize {
		return nil, fmt.Errorf("larger than the %d bytes allowed", maxConfigSize)
	}
	return data, nil
}

func isRegular(fsys fs.FS, name string) bool {
	info, err := fs.Stat(fsys, name)
	return err == nil && info.Mode().IsRegular()
}

// folderDigest fingerprints a version folder by the name, size and
// modification time of its files (external weight files included) plus
// the config. Hashing contents would read gigabytes on every poll; a copy
// or rewrite changes size or mtime.
func folderDigest(fsys fs.FS, dir string, configHash []byte) (string, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return "", err
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	h := sha256.New()
	h.Write(configHash)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		info, err := fs.Stat(fsys, path.Join(dir, e.Name()))
		if err != nil || info.IsDir() {
			continue
		}
		hashFileInfo(h, e.Name(), info)
	}
	return hex.EncodeToString(h.Sum(nil)[:16]), nil
}

func hashFileInfo(h hash.Hash, name string, info fs.FileInfo) {
	var buf [16]byte
	h.Write([]byte(name))
	h.Write([]byte{0})
	binary.LittleEndian.PutUint64(buf[:8], uint64(info.Size()))
	binary.LittleEndian.PutUint64(buf[8:], uint64(info.ModTime().UnixNano()))
	h.Write(buf[:])
}
