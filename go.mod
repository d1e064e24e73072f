module github.com/xlstm-go/xlstm

go 1.26

require (
	github.com/klauspost/compress v1.20.3
	github.com/mitchellh/colorstring v0.0.0-20190213212951-d06e56a500db // indirect
	github.com/nlpodyssey/gopickle v0.3.0
	github.com/rivo/uniseg v0.4.7 // indirect
	github.com/schollz/progressbar/v3 v3.18.0
	golang.org/x/sys v0.29.0 // indirect
	golang.org/x/term v0.28.0
	golang.org/x/text v0.14.0
	gopkg.in/yaml.v3 v3.0.1 // indirect
)
