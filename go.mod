module github.com/hokm-project/hokm

go 1.26
