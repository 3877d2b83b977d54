module github.com/gonyx/gonyx

go 1.26
