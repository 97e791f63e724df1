package sim

import (
	"errors"
	"fmt"
)

// Operation is what a scenario drives: the life of a payment, a refund or a close.
type Operation string

const (
	OpPayment Operation = "payment"
	OpRefund  Operation = "refund"
	OpClose   Operation = "close"
	// OpConfirm moves funds of a delayed payment from unconfirmed to confirmed (the
	// receivers get them); OpConfirmRefund takes confirmed funds back (confirm.go).
	OpConfirm       Operation = "confirm"
	OpConfirmRefund Operation = "confirm_refund"
)

var operations = []Operation{OpPayment, OpRefund, OpClose, OpConfirm, OpConfirmRefund}

// Status is the provider-neutral state of a payment, refund or close. Each provider package
// maps it to its own codes (docs: the neutral model mapping).
type Status string

const (
	StatusProcessing Status = "processing"
	StatusSuccess    Status = "success"
	StatusFailed     Status = "failed"
	StatusClosed     Status = "closed"
	StatusUnknown    Status = "unknown"
)

var statuses = []Status{StatusProcessing, StatusSuccess, StatusFailed, StatusClosed, StatusUnknown}

// Final reports whether nothing can change the status any more.
func (s Status) Final() bool {
	return s == StatusSuccess || s == StatusFailed || s == StatusClosed
}

// Flow is how a payment is authorised, which decides its natural pace: with a barcode the
// merchant scans the payer's code and the wallet answers at once; with a QR code or a
// JSAPI/mini-program order the payer confirms later in their wallet.
type Flow string

const (
	FlowBarcode Flow = "barcode"
	FlowQRCode  Flow = "qrcode"
	// FlowHosted is a hosted checkout: the provider's own page takes the payer through
	// paying, so nothing moves until the payer acts (or the order expires).
	FlowHosted Flow = "hosted"
)

var flows = []Flow{FlowBarcode, FlowQRCode, FlowHosted}

// ErrorKind is a provider-neutral refusal. Provider packages map each kind to their own code.
type ErrorKind string

const (
	ErrBadSignature        ErrorKind = "bad_signature"
	ErrInvalidParams       ErrorKind = "invalid_params"
	ErrNotFound            ErrorKind = "not_found"
	ErrDuplicateRequest    ErrorKind = "duplicate_request"
	ErrInsufficientBalance ErrorKind = "insufficient_refundable_balance"
	ErrInvalidState        ErrorKind = "invalid_state"
	ErrUnknownMerchant     ErrorKind = "unknown_merchant"
	ErrSystem              ErrorKind = "system_error"
)

var errorKinds = []ErrorKind{ErrBadSignature, ErrInvalidParams, ErrNotFound, ErrDuplicateRequest,
	ErrInsufficientBalance, ErrInvalidState, ErrUnknownMerchant, ErrSystem}

// Error is a neutral refusal with the reason in plain words.
type Error struct {
	Kind ErrorKind
	// Reason refines Kind where providers answer differently (e.g. "already_closed").
	Reason string
	Detail string
	// Scenario names the scenario that refused the operation, if one did; Fields are its
	// response overrides for the provider.
	Scenario string
	Fields   map[string]string
}

// Reasons that refine ErrInvalidState and ErrNotFound.
const (
	ReasonAlreadyClosed = "already_closed"
	ReasonPaymentFinal  = "payment_final"
	ReasonNoClose       = "no_close"
	ReasonRefunded      = "refunded" // a reversal of a payment that has refunds
)

// Closure says how a payment came to be closed.
type Closure string

const (
	ClosureNone     Closure = ""
	ClosureClosed   Closure = "closed"   // an unpaid payment closed by a close request
	ClosureReversed Closure = "reversed" // a paid payment taken back by a reversal
	ClosureExpired  Closure = "expired"  // an undecided payment that timed out
)

func (e *Error) Error() string {
	if e.Detail == "" {
		return string(e.Kind)
	}
	return string(e.Kind) + ": " + e.Detail
}

// Errorf builds a neutral error with a formatted explanation.
func Errorf(kind ErrorKind, format string, args ...any) *Error {
	return &Error{Kind: kind, Detail: fmt.Sprintf(format, args...)}
}

// KindOf returns the neutral kind of err, or ErrSystem for anything unexpected.
func KindOf(err error) ErrorKind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ErrSystem
}
