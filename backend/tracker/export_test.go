package tracker

import "context"

// SetPageIndexOff forces the SQL path of ListWorkPackages (off) or lets the
// page index answer again.
func SetPageIndexOff(s *Service, off bool) {
	s.pages.mu.Lock()
	s.pages.off = off
	s.pages.mu.Unlock()
}

// BuildPageIndex builds the page index now, in the caller, when it is not
// built, and reports whether it is ready.
func BuildPageIndex(_ context.Context, s *Service) bool {
	s.pages.startBuild(s, false)
	s.pages.mu.RLock()
	defer s.pages.mu.RUnlock()
	return s.pages.state == indexReady
}

// PageIndexReady reports whether the page index answers lists.
func PageIndexReady(s *Service) bool {
	s.pages.mu.RLock()
	defer s.pages.mu.RUnlock()
	return s.pages.state == indexReady
}

// SetPageBlockSize makes the page index's blocks split above n entries and
// the build fill them with fill, until the test ends (restore).
func SetPageBlockSize(n, fill int) (restore func()) {
	oldMax, oldFill := blockMax, buildFill
	blockMax, buildFill = n, fill
	return func() { blockMax, buildFill = oldMax, oldFill }
}

// SetPageBuildHook runs f in page index builds before and after their scan
// of the table, until restore is called.
func SetPageBuildHook(f func(afterScan bool)) (restore func()) {
	buildHook = f
	return func() { buildHook = nil }
}
