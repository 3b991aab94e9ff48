package export

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"golang.org/x/sync/errgroup"

	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// checkpointEvery is how many items may pass between two checkpoints of
// an unfinished directory export's manifest.
const checkpointEvery = 200

// Run exports what src yields and returns the final manifest. On
// cancellation a directory stays resumable and a tarball is removed; a
// run stopped with a *StopError returns it and the manifest so far.
func (p *Prepared) Run(ctx context.Context, src Source) (_ *exportformat.Manifest, err error) {
	defer func() {
		if err != nil {
			_ = p.sink.Abort()
		}
	}()
	if p.update != nil {
		// The manifest says an update is under way from the start.
		if err := p.checkpoint(); err != nil {
			return nil, fmt.Errorf("record progress: %w", err)
		}
	}
	if err := p.write(ctx, src); err != nil {
		if stop := stopOf(ctx); stop != nil {
			return p.stop(stop)
		}
		if p.update != nil {
			// The manifest's counts follow what was written, so that the
			// export stays valid until the next run completes the update.
			err = errors.Join(err, p.checkpoint())
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	m, err := p.finish()
	if err != nil {
		return nil, err
	}
	if len(m.Failed) > 0 {
		return m, &PartialError{Failed: len(m.Failed), Out: p.opts.Out}
	}
	return m, p.unrepaired()
}

// write has Concurrency writers write what src emits.
func (p *Prepared) write(ctx context.Context, src Source) error {
	w := &writer{opts: p.opts, sink: p.sink, state: p.state, update: p.update, checkpoint: p.checkpoint}
	items := make(chan *Item, p.opts.Concurrency)
	g, gctx := errgroup.WithContext(ctx)
	for range p.opts.Concurrency {
		g.Go(func() error {
			for it := range items {
				if err := w.item(gctx, it); err != nil {
					return err
				}
			}
			return nil
		})
	}
	g.Go(func() error {
		defer close(items)
		emit := func(it *Item) error {
			select {
			case items <- it:
				return nil
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return src.Items(gctx, p.state.isDone, p.state, emit)
	})
	return g.Wait()
}

// finish ends the export once every item is written: an update completes
// its removals, and the final manifest goes through the sink.
func (p *Prepared) finish() (*exportformat.Manifest, error) {
	m := p.snapshot()
	m.FinishedAt = p.opts.Now().UTC()
	m.Complete = len(m.Failed) == 0
	if p.update != nil && p.update.repair != nil {
		p.setAsideFailures(&m)
	}
	if p.update != nil {
		// The items are written: the manifest says so before the files
		// of what is gone move.
		if err := p.checkpoint(); err != nil {
			return nil, fmt.Errorf("record progress: %w", err)
		}
		if err := p.finishUpdate(&m); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrFinishUpdate, err)
		}
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := p.sink.Finish(append(b, '\n')); err != nil {
		return nil, fmt.Errorf("finish the export: %w", err)
	}
	return &m, nil
}

// snapshot is the manifest as things stand.
func (p *Prepared) snapshot() exportformat.Manifest {
	m := p.manifest
	m.Skipped, m.Failed = p.state.problems()
	if p.update != nil {
		m.Skipped = sortProblems(append(p.update.skippedBefore(), m.Skipped...))
		if p.update.repair == nil { // a repair's stays as it was
			info := p.update.info
			m.Incremental = &info
		}
	}
	m.Stopped = p.stopped
	m.Counts = p.state.manifestCounts()
	m.Counts["skipped"] = int64(len(m.Skipped))
	if p.opts.Cost != nil {
		total, endpoints := p.opts.Cost()
		m.Requests += total.Requests
		m.Points += total.Points
		m.Endpoints = exportformat.AddCosts(m.Endpoints, endpoints)
	}
	return m
}

// checkpoint records the manifest so far (complete:false) so that a resumed
// run keeps what this one skipped. Checkpoints are serialised, so a later
// one never loses to an earlier.
func (p *Prepared) checkpoint() error {
	p.checkpointMu.Lock()
	defer p.checkpointMu.Unlock()
	m := p.snapshot()
	if p.update != nil {
		// While an update runs, the export is the previous one, some items
		// already updated: its failures are said when it finishes.
		m.Complete, m.Failed = p.manifest.Complete, p.manifest.Failed
		m.Counts["failed"] = int64(len(m.Failed))
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return p.sink.Checkpoint(append(b, '\n'))
}
