// Package run builds the ctx a script's main(ctx) receives:
//
//	ctx.events() -> iterable of events    the events, in order: live from
//	                                      the collection, or from -i FILE
//	ctx.series() -> iterable of series    tracked series (one packet's
//	                                      events each), sorted by tracking
//	ctx.args -> dict                      --arg k=v pairs, str to str
//	ctx.input -> str or None              the events file (-i), None live
//	ctx.stats.processed -> int            events handed to the script
//	ctx.stats.lost -> int                 events the collection lost
//
// Where events come from is the command's business: it gives NewContext
// openers for a Source and a SeriesSource (a file reader, the live ring
// buffer through a Pipe, the tracking sorter). A source error ends the
// script with that error. Go builtins that consume a whole stream
// themselves (process.print) open it with Context.OpenEvents. This package
// must not know how events are collected or sorted.
package run
