package order

// Cancellable is nil when an order in status s can be cancelled (it is pending), and otherwise
// the reason it cannot: ErrAlreadyCancelled for a cancelled order, ErrNotCancellable for any
// other status. Both stores decide with it, so they cannot disagree.
func Cancellable(s Status) error {
	switch s {
	case Pending:
		return nil
	case Cancelled:
		return ErrAlreadyCancelled
	default:
		return ErrNotCancellable
	}
}
