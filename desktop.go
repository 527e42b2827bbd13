package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	goruntime "runtime"
	"strconv"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/menu"
	"github.com/wailsapp/wails/v2/pkg/menu/keys"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
	"github.com/wailsapp/wails/v2/pkg/options/mac"

	"billfold/app"
	"billfold/backend"
	"billfold/backend/cli"
	"billfold/backend/demo"
	"billfold/backend/syncer"
	"billfold/backend/vault"
)

// runDesktop opens the Billfold window and returns the process exit status.
// The window exists only in binaries built with the Wails tags (`wails build`
// or `wails dev`); a plain `go build` binary explains how to get one.
func runDesktop(version string) int {
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	rt := app.NewWailsRuntime()
	v, err := vault.New(vault.Options{Verifier: cli.StripeVerifier(), Logger: logger})
	if err != nil {
		fmt.Fprintf(os.Stderr, "billfold: %s\n", backend.ErrorMessage(err))
		return 1
	}
	// the sync service hears when the app switches account or a key changes
	watcher := &app.AccountWatcher{Inner: rt}
	services := app.New(app.Options{
		Version: version,
		Manager: v,
		Demo: func(ctx context.Context, progress func(syncer.Progress)) (vault.Account, error) {
			// BILLFOLD_DEMO_CUSTOMERS makes a smaller demo (tests); default 3,000
			n, _ := strconv.Atoi(os.Getenv("BILLFOLD_DEMO_CUSTOMERS"))
			r, err := demo.Build(ctx, v, demo.Options{Customers: n, Progress: progress, Logger: logger})
			return r.Account, err
		},
		Emitter: watcher,
		Opener:  rt,
		Saver:   rt,
		Logger:  logger,
	})

	syncs := services.EnableSync(app.SyncOptions{Accounts: v, APIBase: os.Getenv("BILLFOLD_API_BASE"), Emitter: rt, Logger: logger})
	watcher.Watch(syncs)

	err = wails.Run(&options.App{
		Title:            "Billfold",
		Width:            1280,
		Height:           820,
		MinWidth:         960,
		MinHeight:        600,
		BackgroundColour: options.NewRGB(0xf6, 0xf7, 0xf9), // --bg of the light theme
		AssetServer:      &assetserver.Options{Assets: frontendAssets()},
		Menu:             appMenu(rt, version),
		OnStartup: func(ctx context.Context) {
			rt.Start(ctx)
			services.Startup(ctx)
			app.StartSyncScheduler(ctx, syncs)
		},
		OnShutdown:     func(context.Context) { app.StopSyncScheduler(syncs) },
		Bind:           services.Bind(),
		ErrorFormatter: app.FormatError,
		Linux: &linux.Options{
			Icon:             appIcon(),
			ProgramName:      "billfold",
			WebviewGpuPolicy: linux.WebviewGpuPolicyOnDemand,
		},
		Mac: &mac.Options{
			About: &mac.AboutInfo{Title: "Billfold", Message: aboutText(version)},
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "billfold: cannot open the window: %v\n", err)
		fmt.Fprintln(os.Stderr, "billfold: this binary has no desktop face; build it with `make build` (wails build -tags webkit2_41), or run a command: billfold help")
		return 1
	}
	return 0
}

func aboutText(version string) string {
	return fmt.Sprintf("Billfold %s\nA local-first admin for Stripe businesses.\nYour data stays on this computer.", version)
}

// appMenu is the application menu: About, Reload and Quit; on macOS the
// standard app and edit menus (copy and paste need the edit menu there).
func appMenu(rt *app.WailsRuntime, version string) *menu.Menu {
	m := menu.NewMenu()
	if goruntime.GOOS == "darwin" {
		m.Append(menu.AppMenu())
	}
	file := m.AddSubmenu("Billfold")
	file.AddText("About Billfold", nil, func(*menu.CallbackData) {
		rt.ShowAbout("About Billfold", aboutText(version))
	})
	file.AddText("Settings…", keys.CmdOrCtrl(","), func(*menu.CallbackData) {
		rt.Emit(app.EventNavigate, app.NavigateDTO{Route: "settings"})
	})
	file.AddSeparator()
	file.AddText("Reload", keys.CmdOrCtrl("r"), func(*menu.CallbackData) { rt.Reload() })
	file.AddSeparator()
	file.AddText("Quit", keys.CmdOrCtrl("q"), func(*menu.CallbackData) { rt.Quit() })
	if goruntime.GOOS == "darwin" {
		m.Append(menu.EditMenu())
		m.Append(menu.WindowMenu())
	}
	return m
}
