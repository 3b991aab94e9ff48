// Package export is aumo's export engine. It knows no product: a source
// yields items, the engine writes them through a sink in export format v1,
// resumably, and keeps a directory export current when asked.
//
// The path of an export, from the command to the disk:
//
//	aumo export jira|confluence            internal/cli/exportcmd
//	  checks the flags, signs in, makes an *atlassian.Client
//	  export.Check(Options)                 refuses a bad --out before any API call
//	  export.Prepare(Options) *Prepared     opens the sink: new, resumed, or an update
//	  (update) Prepared.PlanUpdate(window, Listing) *Update
//	                                        what else to write; what may be removed
//	  (repair) export.PlanRepair(dir, damaged) *RepairPlan, before Prepare
//	                                        the owners of damaged files: an update of them alone
//	  jira.New / confluence.New → Source    the product's source (internal/jira, internal/confluence)
//	  Prepared.Run(ctx, Source) *Manifest
//	    Source.Items → emit(*Item)          items, each with its JSON, Markdown and Attachments
//	    writer                              per item: attachments (Downloader), Markdown, JSON
//	      sink.Sink.Put, AppendIndex        internal/sink: a directory or a tarball
//	    (update) finishUpdate               decideClosing (pure), then applying it to the mirror
//	    sink.Sink.Finish(manifest)
//
// The types a newcomer meets: Item, Attachment and AttachmentFile (what a
// source emits and what its Markdown links to), Source and Problems (the
// contract a product implements), Downloader (the one retrying download
// path, atlassian.Client.RetryDownload), Options and Prepared (a run),
// Listing and Update (an incremental run's view of the query), and
// QueryError, OutError, PartialError (what the command maps to exit codes).
//
// An update (--incremental) writes in place: index.jsonl only grows while
// it runs, and manifest.json keeps saying the previous, complete export,
// marked as being updated. What the previous run wrote is found again by
// offsets in the index (update); once the items are written, the decision
// of what becomes of every previous file — kept, replaced, moved under
// removed/, deleted — is made without I/O (closing), then carried out
// while the index is rewritten (applying).
package export
