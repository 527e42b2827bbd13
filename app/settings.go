package app

import (
	"log/slog"

	"billfold/backend/settings"
)

// SettingsDTO is the settings screen's data.
type SettingsDTO struct {
	SyncIntervalMinutes int    `json:"syncIntervalMinutes"` // 0: only when asked
	Gentle              bool   `json:"gentle"`
	Intervals           []int  `json:"intervals"` // the offered intervals
	DataDir             string `json:"dataDir"`
	// Warning is set when settings.json was unreadable and defaults are shown.
	Warning string `json:"warning"`
}

// DeleteResultDTO says what "delete all local data" deleted.
type DeleteResultDTO struct {
	Files       int  `json:"files"`
	KeysRemoved bool `json:"keysRemoved"`
}

// SettingsService reads and saves settings.json and deletes local data.
type SettingsService struct {
	lc   *lifecycle
	home func() (string, error)
	mgr  AccountManager // nil: no registry
	acc  *AccountsService
	log  *slog.Logger
}

// Get returns the settings (defaults when none were saved).
func (s *SettingsService) Get() (SettingsDTO, error) {
	home, err := s.home()
	if err != nil {
		return SettingsDTO{}, err
	}
	st, lerr := settings.Load(home)
	d := toSettingsDTO(st, home)
	if lerr != nil {
		d.Warning = ToErrorDTO(lerr).Message
	}
	return d, nil
}

// Save sets the sync interval and the gentle rate mode.
func (s *SettingsService) Save(syncIntervalMinutes int, gentle bool) (SettingsDTO, error) {
	home, err := s.home()
	if err != nil {
		return SettingsDTO{}, err
	}
	st, _ := settings.Load(home) // an unreadable file is replaced
	st.SyncIntervalMinutes, st.Gentle = syncIntervalMinutes, gentle
	if err := settings.Save(home, st); err != nil {
		return SettingsDTO{}, err
	}
	return toSettingsDTO(st, home), nil
}

// DeleteAllLocalData deletes every local cache database. With removeKeys it
// also removes every account: its key from the keyring and its entry from
// the registry; without, accounts and keys stay and the next sync rebuilds
// the caches. Settings stay either way.
func (s *SettingsService) DeleteAllLocalData(removeKeys bool) (DeleteResultDTO, error) {
	if s.mgr == nil {
		return DeleteResultDTO{}, errNoRegistry
	}
	files, err := s.mgr.DeleteAllData(s.lc.context(), removeKeys)
	if err != nil {
		return DeleteResultDTO{}, err
	}
	s.log.Info("local data deleted", "files", len(files), "keys_removed", removeKeys)
	if removeKeys {
		_ = s.acc.setCurrent("")
	}
	s.acc.changed()
	return DeleteResultDTO{Files: len(files), KeysRemoved: removeKeys}, nil
}

func toSettingsDTO(st settings.Settings, home string) SettingsDTO {
	return SettingsDTO{SyncIntervalMinutes: st.SyncIntervalMinutes, Gentle: st.Gentle,
		Intervals: append([]int(nil), settings.Intervals...), DataDir: home}
}
