package export

import (
	"context"
	"errors"
	"fmt"

	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// StopError stops a run on purpose before its end, resumably: whoever
// runs the export cancels the run's context with it as the cause
// (context.WithCancelCause), as an interrupt would, and Run then records
// Reason as the manifest's stopped and returns the StopError with the
// manifest as it stands.
type StopError struct {
	// Reason is the manifest's stopped, such as
	// exportformat.StoppedMaxPoints.
	Reason string
	// Err is what stopped the run, such as an *atlassian.BudgetError.
	Err error
}

func (e *StopError) Error() string { return e.Err.Error() }

// Unwrap returns what stopped the run.
func (e *StopError) Unwrap() error { return e.Err }

// stopOf is the StopError ctx was cancelled with, if it was.
func stopOf(ctx context.Context) *StopError {
	var stop *StopError
	if ctx.Err() != nil && errors.As(context.Cause(ctx), &stop) {
		return stop
	}
	return nil
}

// stop ends a run stopped on purpose: a checkpoint says why, with what
// the run wrote and spent, so that the export stays resumable and its
// manifest tells the reason.
func (p *Prepared) stop(stop *StopError) (*exportformat.Manifest, error) {
	p.stopped = stop.Reason
	if err := p.checkpoint(); err != nil {
		return nil, errors.Join(stop, fmt.Errorf("record progress: %w", err))
	}
	m := p.snapshot()
	return &m, stop
}
