package main

import (
	_ "embed"
	"strings"
)

// imagenetClasses are the ImageNet-1k class names in index order, from
// torchvision (see gen_labels.sh).
//
//go:embed imagenet_classes.txt
var imagenetClasses string

// parseLabels reads the labels setting: "imagenet" for the embedded
// ImageNet-1k names, "" for none, else the names one per line.
func parseLabels(s string) []string {
	switch s {
	case "":
		return nil
	case "imagenet":
		s = imagenetClasses
	}
	lines := strings.Split(strings.TrimSuffix(strings.ReplaceAll(s, "\r\n", "\n"), "\n"), "\n")
	return lines
}
