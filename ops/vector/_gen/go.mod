module vectorgen

go 1.26
