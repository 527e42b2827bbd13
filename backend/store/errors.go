package store

import (
	"errors"
	"path/filepath"
	"syscall"

	"billfold/backend"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// sqliteCode returns the primary SQLite result code in err's chain (0: none).
func sqliteCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() & 0xff
	}
	return 0
}

// isDamage reports a corrupt or non-database file.
func isDamage(err error) bool {
	switch sqliteCode(err) {
	case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
		return true
	}
	return false
}

// diskError turns disk-full, read-only and permission failures into an
// EDISK backend.Error with a message that names the folder and the next
// step; any other error is returned unchanged.
func diskError(err error, path, what string) error {
	if err == nil {
		return nil
	}
	dir := filepath.Dir(path)
	full := "the disk holding " + dir + " is full: " + what + " failed and nothing was changed; free some space and try again"
	ro := "cannot write to " + dir + " (the folder is read-only or not accessible): " + what + " failed and the last synced data is kept; make the folder writable and try again"
	ioe := "a disk error occurred in " + dir + ": " + what + " failed and the last synced data is kept; check the disk and try again"
	switch sqliteCode(err) {
	case sqlite3.SQLITE_FULL:
		return &backend.Error{Code: backend.EDISK, Message: full, Err: err}
	case sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM, sqlite3.SQLITE_AUTH:
		return &backend.Error{Code: backend.EDISK, Message: ro, Err: err}
	case sqlite3.SQLITE_IOERR:
		var se *sqlite.Error
		if errors.As(err, &se) && se.Code() == sqlite3.SQLITE_IOERR_NOMEM {
			return err
		}
		return &backend.Error{Code: backend.EDISK, Message: ioe, Err: err}
	}
	switch {
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return &backend.Error{Code: backend.EDISK, Message: full, Err: err}
	case errors.Is(err, syscall.EROFS), errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return &backend.Error{Code: backend.EDISK, Message: ro, Err: err}
	case errors.Is(err, syscall.EIO):
		return &backend.Error{Code: backend.EDISK, Message: ioe, Err: err}
	}
	return err
}
