package app

import (
	"fmt"

	"github.com/wailsapp/wails/v2/pkg/runtime"
)

// SaveFileDialog shows the native save dialog (FileSaver); "" means cancelled.
func (r *WailsRuntime) SaveFileDialog(defaultName, title string) (string, error) {
	ctx := r.context()
	if ctx == nil {
		return "", fmt.Errorf("save file: the window is not ready")
	}
	return runtime.SaveFileDialog(ctx, runtime.SaveDialogOptions{DefaultFilename: defaultName, Title: title,
		Filters: []runtime.FileFilter{{DisplayName: "CSV files (*.csv)", Pattern: "*.csv"}}})
}
