package repository

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

func TestSelectVersions(t *testing.T) {
	avail := []int64{3, 1, 7, 2}
	cases := []struct {
		policy VersionPolicy
		want   []int64
	}{
		{VersionPolicy{Latest: 1}, []int64{7}},
		{VersionPolicy{Latest: 2}, []int64{3, 7}},
		{VersionPolicy{Latest: 10}, []int64{1, 2, 3, 7}},
		{VersionPolicy{}, []int64{7}}, // unset behaves as latest 1
		{VersionPolicy{All: true}, []int64{1, 2, 3, 7}},
		{VersionPolicy{Specific: []int64{2, 7}}, []int64{2, 7}},
		{VersionPolicy{Specific: []int64{7, 2, 2}}, []int64{2, 7}},
		{VersionPolicy{Specific: []int64{5}}, nil}, // not on disk
	}
	for _, c := range cases {
		if got := selectVersions(c.policy, avail); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.policy, got, c.want)
		}
	}
	if got := selectVersions(VersionPolicy{Latest: 1}, nil); len(got) != 0 {
		t.Errorf("nothing available: got %v", got)
	}
}

func mapSource(fsys fstest.MapFS) *source { return &source{fsys: fsys} }

func TestLayout(t *testing.T) {
	fsys := fstest.MapFS{
		"versioned/1/model.onnx":      {Data: []byte("v1")},
		"versioned/2/model.onnx":      {Data: []byte("v2")},
		"versioned/10/model.onnx":     {Data: []byte("v10")},
		"versioned/01/model.onnx":     {Data: []byte("not canonical")},
		"versioned/0/model.onnx":      {Data: []byte("zero")},
		"versioned/-3/model.onnx":     {Data: []byte("negative")},
		"versioned/latest/model.onnx": {Data: []byte("name")},
		"versioned/4/README.md":       {Data: []byte("no model yet")},
		"versioned/5/model.onnx/x":    {Data: []byte("model.onnx is a folder")},
		"bare/model.onnx":             {Data: []byte("bare")},
		"both/model.onnx":             {Data: []byte("ignored")},
		"both/3/model.onnx":           {Data: []byte("v3")},
		"empty/config.yaml":           {Data: []byte("max_batch_size: 2\n")},
		"emptyversions/1/notes.txt":   {Data: []byte("x")},
		".hidden/1/model.onnx":        {Data: []byte("hidden")},
		"rootfile.onnx":               {Data: []byte("not a model folder")},
		"badconfig/config.yaml":       {Data: []byte("max_batch: 2\n")},
		"badconfig/1/model.onnx":      {Data: []byte("v1")},
	}
	scans, err := mapSource(fsys).scanAll()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for name := range scans {
		names = append(names, name)
	}
	wantNames := map[string]bool{"versioned": true, "bare": true, "both": true, "empty": true, "emptyversions": true, "badconfig": true}
	if len(scans) != len(wantNames) {
		t.Fatalf("models %v, want %v", names, wantNames)
	}
	versions := func(name string) []int64 { return sortedKeys(scans[name].versions) }
	if got := versions("versioned"); !reflect.DeepEqual(got, []int64{1, 2, 10}) {
		t.Errorf("versioned: versions %v, want [1 2 10]", got)
	}
	if got := scans["versioned"].versions[10].path; got != "versioned/10/model.onnx" {
		t.Errorf("versioned 10 path %q", got)
	}
	if scans["versioned"].fsys == nil {
		t.Error("in-memory scan has no FS for the opener")
	}
	if got := versions("bare"); !reflect.DeepEqual(got, []int64{1}) || scans["bare"].versions[1].path != "bare/model.onnx" {
		t.Errorf("bare: %+v, want version 1 at bare/model.onnx", scans["bare"].versions)
	}
	if got := versions("both"); !reflect.DeepEqual(got, []int64{3}) {
		t.Errorf("both: versions %v, want [3] (the bare file is ignored next to version folders)", got)
	}
	if err := scans["empty"].err; err == nil || !strings.Contains(err.Error(), "no model file") {
		t.Errorf("empty: error %v, want no model file", err)
	}
	if err := scans["emptyversions"].err; err == nil || !strings.Contains(err.Error(), "no model file") {
		t.Errorf("emptyversions: error %v, want no model file", err)
	}
	bad := scans["badconfig"]
	if bad.err == nil || !strings.Contains(bad.err.Error(), "config.yaml: line 1: field max_batch not found") {
		t.Errorf("badconfig: error %v", bad.err)
	}
	if got := sortedKeys(bad.versions); !reflect.DeepEqual(got, []int64{1}) {
		t.Errorf("badconfig still lists its versions (so serving ones are kept): got %v", got)
	}
	if scans["versioned"].err != nil || scans["versioned"].cfg.VersionPolicy.Latest != 1 || scans["versioned"].cfg.Name != "versioned" {
		t.Errorf("versioned config %+v, err %v", scans["versioned"].cfg, scans["versioned"].err)
	}
}

func TestScanOne(t *testing.T) {
	src := mapSource(fstest.MapFS{"m/1/model.onnx": {Data: []byte("x")}, "m/2/model.onnx": {Data: []byte("y")}})
	scan, found, err := src.scanOne("m")
	if err != nil || !found || !reflect.DeepEqual(sortedKeys(scan.versions), []int64{1, 2}) {
		t.Fatalf("scanOne(m) = %+v, %v, %v", scan, found, err)
	}
	for _, name := range []string{"nope", "", "..", "../m", "m/1", ".m"} {
		if _, found, err := src.scanOne(name); found || err != nil {
			t.Errorf("scanOne(%q) found=%v err=%v, want not found", name, found, err)
		}
	}
}

func TestDigestChanges(t *testing.T) {
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	fsys := fstest.MapFS{
		"m/config.yaml":     {Data: []byte("warmup: 1\n"), ModTime: base},
		"m/1/model.onnx":    {Data: []byte("weights"), ModTime: base},
		"m/1/weights.bin":   {Data: []byte("external"), ModTime: base},
		"m/2/model.onnx":    {Data: []byte("weights2"), ModTime: base},
		"bare/model.onnx":   {Data: []byte("bare"), ModTime: base},
		"bare/notes.txt":    {Data: []byte("not part of the model"), ModTime: base},
		"bare/1x/notes.txt": {Data: []byte("non-numeric folder"), ModTime: base},
	}
	digests := func() (string, string, string) {
		scans, err := mapSource(fsys).scanAll()
		if err != nil {
			t.Fatal(err)
		}
		return scans["m"].versions[1].digest, scans["m"].versions[2].digest, scans["bare"].versions[1].digest
	}
	d1, d2, db := digests()
	if d1 == "" || d1 == d2 {
		t.Fatalf("digests %q and %q should differ and be set", d1, d2)
	}
	if a, b, c := digests(); a != d1 || b != d2 || c != db {
		t.Fatal("digests changed without a change on disk")
	}

	fsys["m/1/weights.bin"] = &fstest.MapFile{Data: []byte("external"), ModTime: base.Add(time.Second)}
	a, b, _ := digests()
	if a == d1 || b != d2 {
		t.Fatalf("touching an external weight file of version 1: v1 changed=%v (want true), v2 changed=%v (want false)", a != d1, b != d2)
	}
	d1 = a

	fsys["m/config.yaml"] = &fstest.MapFile{Data: []byte("warmup: 2\n"), ModTime: base}
	a, b, _ = digests()
	if a == d1 || b == d2 {
		t.Fatal("a config change must change every version's digest")
	}

	fsys["bare/notes.txt"] = &fstest.MapFile{Data: []byte("edited notes"), ModTime: base.Add(time.Hour)}
	if _, _, c := digests(); c != db {
		t.Fatal("editing a file next to a bare model.onnx changed its digest")
	}
	fsys["bare/model.onnx"] = &fstest.MapFile{Data: []byte("bare"), ModTime: base.Add(time.Hour)}
	if _, _, c := digests(); c == db {
		t.Fatal("a new mtime on the bare model.onnx did not change its digest")
	}
}

func TestScanOSFolderAndFiles(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "m/3/model.onnx", "x")
	single := filepath.Join(t.TempDir(), "solo.onnx")
	writeFile(t, filepath.Dir(single), "solo.onnx", "y")
	src := &source{osDir: root, files: map[string]string{"solo": single, "m": single, "missing": filepath.Join(root, "nope.onnx")}}
	src.fsys = os.DirFS(root)
	scans, err := src.scanAll()
	if err != nil {
		t.Fatal(err)
	}
	if scans["m"].err == nil || !strings.Contains(scans["m"].err.Error(), "defined twice") {
		t.Errorf("m is a folder and a single file: error %v", scans["m"].err)
	}
	solo := scans["solo"]
	if solo.err != nil || solo.fsys != nil || solo.versions[1].path != single || solo.cfg.VersionPolicy.Latest != 1 {
		t.Errorf("solo: %+v", solo)
	}
	if scans["missing"].err == nil || !strings.Contains(scans["missing"].err.Error(), "model file") {
		t.Errorf("missing: error %v", scans["missing"].err)
	}

	src.files = nil
	scans, err = src.scanAll()
	if err != nil {
		t.Fatal(err)
	}
	m := scans["m"]
	if got := sortedKeys(m.versions); !reflect.DeepEqual(got, []int64{3}) {
		t.Fatalf("versions %v", got)
	}
	if m.fsys != nil || m.versions[3].path != filepath.Join(root, "m", "3", "model.onnx") {
		t.Errorf("OS scan: fsys %v, path %q; want no FS and the OS path", m.fsys, m.versions[3].path)
	}

	// A symlinked version folder (a common way to publish) counts.
	if err := os.Symlink(filepath.Join(root, "m", "3"), filepath.Join(root, "m", "4")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "m"), filepath.Join(root, "alias")); err != nil {
		t.Fatal(err)
	}
	scans, err = src.scanAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := sortedKeys(scans["m"].versions); !reflect.DeepEqual(got, []int64{3, 4}) {
		t.Errorf("with a symlinked version folder: versions %v, want [3 4]", got)
	}
	if got := sortedKeys(scans["alias"].versions); !reflect.DeepEqual(got, []int64{3, 4}) {
		t.Errorf("symlinked model folder: versions %v, want [3 4]", got)
	}

	gone := &source{osDir: filepath.Join(root, "absent")}
	gone.fsys = os.DirFS(gone.osDir)
	if _, err := gone.scanAll(); err == nil {
		t.Error("scanning a missing repository folder succeeded")
	}
}
