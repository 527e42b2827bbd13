package app

// Event names sent to the webview. frontend/src/lib/api/events.ts mirrors
// them with their payload types; change both together.
const (
	// EventSyncStatus carries a SyncStatusDTO whenever the sync state changes.
	EventSyncStatus = "sync:status"
	// EventAccountsChanged carries an AccountsChangedDTO after an account is
	// added, removed or re-keyed.
	EventAccountsChanged = "accounts:changed"
	// EventNavigate carries a NavigateDTO: the application menu asks the
	// webview to show a screen (e.g. About opens Settings).
	EventNavigate = "app:navigate"
	// EventAccountCurrent carries an AccountCurrentDTO when the account the
	// app shows changes (Switch, or the demo finished building).
	EventAccountCurrent = "accounts:current"
	// EventDemoProgress carries a DemoStatusDTO while the demo builds (at
	// most every 100 ms) and once at the end.
	EventDemoProgress = "demo:progress"
	// EventSyncProgress carries a SyncDetailDTO while a sync runs (at most
	// every 100 ms), on every state change, and once at its end.
	EventSyncProgress = "sync:progress"
)

// AccountCurrentDTO is the payload of EventAccountCurrent ("" : none).
type AccountCurrentDTO struct {
	ID string `json:"id"`
}

// NavigateDTO asks the webview to show a screen by its route name.
type NavigateDTO struct {
	Route string `json:"route"`
}

// AccountsChangedDTO is the payload of EventAccountsChanged.
type AccountsChangedDTO struct {
	Accounts []AccountDTO `json:"accounts"`
}
