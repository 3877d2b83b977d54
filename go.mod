module github.com/gonyx/gonyx

go 1.26

require (
	github.com/klauspost/cpuid/v2 v2.4.2
	google.golang.org/protobuf v1.36.12
)

require golang.org/x/sys v0.41.0 // indirect
