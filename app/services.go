package app

import (
	"context"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"
)

// Options configure the services. Zero values get defaults.
type Options struct {
	Version       string                 // the build's version
	Getenv        func(string) string    // default os.Getenv
	UserConfigDir func() (string, error) // default os.UserConfigDir
	Accounts      AccountLister          // read-only registry; used when Manager is nil
	Manager       AccountManager         // the account registry (backend/vault); nil: accounts cannot be managed
	Demo          DemoBuilder            // builds the demo workspace; nil: not available
	Emitter       Emitter                // nil: events are dropped
	Opener        URLOpener              // nil: opening a link fails with EUNAVAILABLE
	Saver         FileSaver              // the native save dialog; nil: exports fail with EUNAVAILABLE
	Logger        *slog.Logger           // nil: discard
	Now           func() time.Time       // default time.Now
}

// Services groups the services bound to the webview. It is not bound itself.
type Services struct {
	App       *AppService
	Accounts  *AccountsService
	Settings  *SettingsService
	Sync      *SyncService
	Metrics   *MetricsService
	Customers *CustomersService
	// Tracker is where the sync engine reports its state; SyncService reads it.
	Tracker *SyncTracker
}

// New builds the services from opts.
func New(opts Options) *Services {
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if opts.UserConfigDir == nil {
		opts.UserConfigDir = os.UserConfigDir
	}
	if opts.Emitter == nil {
		opts.Emitter = discardEmitter{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	lc := &lifecycle{ctx: context.Background()}
	tracker := NewSyncTracker(opts.Emitter)
	accounts := &AccountsService{lc: lc, lister: opts.Accounts, mgr: opts.Manager, demo: opts.Demo,
		apiBase: opts.Getenv("BILLFOLD_API_BASE"), emit: opts.Emitter, log: opts.Logger, now: opts.Now}
	home := func() (string, error) {
		if opts.Manager != nil {
			return opts.Manager.Home(), nil
		}
		return DataDir(opts.Getenv, opts.UserConfigDir)
	}
	svcs := &Services{
		App: &AppService{
			lc:            lc,
			version:       opts.Version,
			getenv:        opts.Getenv,
			userConfigDir: opts.UserConfigDir,
			opener:        opts.Opener,
			log:           opts.Logger,
		},
		Accounts: accounts,
		Settings: &SettingsService{lc: lc, home: home, mgr: opts.Manager, acc: accounts, log: opts.Logger},
		Sync:     &SyncService{tracker: tracker},
		Tracker:  tracker,
	}
	svcs.Metrics = NewMetricsService(MetricsOptions{CachePath: CachePathOf(svcs, opts.Manager, opts.Getenv),
		Saver: opts.Saver, Emitter: opts.Emitter, Logger: opts.Logger, Now: opts.Now})
	svcs.Customers = NewCustomersService(CustomersOptions{CachePath: CachePathOf(svcs, opts.Manager, opts.Getenv),
		Saver: opts.Saver, Logger: opts.Logger})
	return svcs
}

// Startup receives the context of the running application (Wails OnStartup).
// Calls made by the services use it, so they stop when the app shuts down.
func (s *Services) Startup(ctx context.Context) {
	s.App.lc.set(ctx)
}

// Bind lists the services to bind to the webview.
func (s *Services) Bind() []any {
	return []any{s.App, s.Accounts, s.Settings, s.Sync, s.Metrics, s.Customers}
}

// lifecycle holds the application context shared by the services.
type lifecycle struct {
	mu  sync.RWMutex
	ctx context.Context
}

func (l *lifecycle) set(ctx context.Context) {
	l.mu.Lock()
	l.ctx = ctx
	l.mu.Unlock()
}

func (l *lifecycle) context() context.Context {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.ctx
}

type discardEmitter struct{}

func (discardEmitter) Emit(string, any) {}
