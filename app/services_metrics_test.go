package app

import (
	"errors"
	"testing"

	"billfold/backend"
)

// New wires the MetricsService and binds it; without an account it says so.
func TestNewBindsMetrics(t *testing.T) {
	t.Setenv("BILLFOLD_HOME", t.TempDir())
	s := New(Options{Getenv: func(string) string { return "" }})
	if s.Metrics == nil {
		t.Fatal("Services.Metrics is nil")
	}
	found := false
	for _, b := range s.Bind() {
		if b == any(s.Metrics) {
			found = true
		}
	}
	if !found {
		t.Fatal("Bind() does not list the MetricsService")
	}
	_, err := s.Metrics.Dashboard(DashboardQueryDTO{From: "2026-01-01", To: "2026-01-31"})
	var be *backend.Error
	if !errors.As(err, &be) || be.Code != backend.ENOTFOUND {
		t.Fatalf("Dashboard without an account: err = %v, want ENOTFOUND", err)
	}
	if _, err := s.Metrics.SaveCSV("x.csv", "a\r\n"); err == nil {
		t.Fatal("SaveCSV without a saver: want an error")
	}
}

// New wires the CustomersService and binds it; without an account a search says so.
func TestNewBindsCustomers(t *testing.T) {
	t.Setenv("BILLFOLD_HOME", t.TempDir())
	s := New(Options{Getenv: func(string) string { return "" }})
	if s.Customers == nil {
		t.Fatal("Services.Customers is nil")
	}
	found := false
	for _, b := range s.Bind() {
		if b == any(s.Customers) {
			found = true
		}
	}
	if !found {
		t.Fatal("Bind() does not list the CustomersService")
	}
	if _, err := s.Customers.Search("jane"); backend.ErrorCode(err) != backend.ENOTFOUND {
		t.Fatalf("Search without an account: err = %v, want ENOTFOUND", err)
	}
}
