package security

import (
	"os"
	"time"
)

// fileStamp identifies one version of a file cheaply: modification time,
// size and identity (a rename over the path, as Kubernetes does for mounted
// secrets, changes the identity even when time and size happen to match).
type fileStamp struct {
	modTime time.Time
	size    int64
	info    os.FileInfo
}

func stampOf(fi os.FileInfo) fileStamp {
	return fileStamp{modTime: fi.ModTime(), size: fi.Size(), info: fi}
}

func (a fileStamp) same(b fileStamp) bool {
	if a.info == nil || b.info == nil {
		return a.info == nil && b.info == nil
	}
	return a.modTime.Equal(b.modTime) && a.size == b.size && os.SameFile(a.info, b.info)
}

// reloadInterval is how often a changed file is looked for.
const reloadInterval = time.Second
