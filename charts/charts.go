package charts

import (
	"embed"
	"io/fs"
)

//go:embed all:starter all:joomla
var files embed.FS

// Starter is the chart `barge create` writes: its file names and contents
// hold the placeholder StarterPlaceholder where the new chart's name goes.
// Its root is the chart directory (Chart.yaml is at "Chart.yaml").
var Starter fs.FS = sub("starter")

// Joomla is the joomla chart; its root is the chart directory.
var Joomla fs.FS = sub("joomla")

// StarterPlaceholder is the text in Starter's files that stands for the
// chart name, as in Helm's starter charts.
const StarterPlaceholder = "<CHARTNAME>"

func sub(dir string) fs.FS {
	f, err := fs.Sub(files, dir)
	if err != nil {
		// fs.Sub fails only on an invalid path, and both paths are constants.
		panic("charts: " + err.Error())
	}
	return f
}
