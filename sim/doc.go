// Package sim is paysim's provider-neutral core: money in fen, the clock (real or
// virtual), the ledger of payments, refunds and closes with their idempotency, the
// scenarios and the state machine each entity runs, the scheduler every deadline and
// retry waits on, and the notification outbox.
//
// It knows no provider and no HTTP: provider packages map their wire formats to its
// operations and errors, sim/gateway runs the request pipeline, and a Sender (the HTTP
// one is sim/outbound) delivers notifications. See docs/architecture.md.
package sim
