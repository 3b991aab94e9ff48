package tokenstore

import (
	"context"
	"sync"
)

// Memory keeps grants in the process only: `aumo demo` uses it so that a
// demonstration never touches the user's keychain or files.
type Memory struct {
	mu     sync.Mutex
	grants map[string]Grant
}

var _ Store = (*Memory)(nil)

// Location implements Store.
func (m *Memory) Location(string) string { return "memory (discarded when aumo exits)" }

// Load implements Store.
func (m *Memory) Load(_ context.Context, profile string) (*Grant, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	g, ok := m.grants[profile]
	if !ok {
		return nil, ErrNotFound
	}
	g.Sites = append([]Site(nil), g.Sites...)
	return &g, nil
}

// Save implements Store.
func (m *Memory) Save(_ context.Context, profile string, g *Grant) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.grants == nil {
		m.grants = map[string]Grant{}
	}
	c := *g
	c.Sites = append([]Site(nil), g.Sites...)
	m.grants[profile] = c
	return nil
}

// Delete implements Store.
func (m *Memory) Delete(_ context.Context, profile string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.grants[profile]; !ok {
		return nil, nil
	}
	delete(m.grants, profile)
	return []string{"in-memory grant of profile " + profile}, nil
}
