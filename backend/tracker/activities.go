package tracker

import (
	"context"

	"github.com/hookpost/hookpost/backend/auth"
	"github.com/hookpost/hookpost/backend/domain"
)

// TimeEntryActivityView is a time entry activity with the projects it is
// active in.
type TimeEntryActivityView struct {
	TimeEntryActivity
	Projects []Project
}

// TimeEntryActivities lists the time entry activities by position.
func (s *Service) TimeEntryActivities() []TimeEntryActivity {
	return sorted(s.activities, func(x TimeEntryActivity) int { return x.Position })
}

// TimeEntryActivity returns an active time entry activity with the projects
// viewer may log time in with it. Hookpost has no per-project activity
// settings, so that is every active project viewer sees; projects are
// created by administrators only, which bounds the list.
func (s *Service) TimeEntryActivity(ctx context.Context, viewer auth.User, id int64) (TimeEntryActivityView, error) {
	a, ok := s.activities[id]
	if !ok || !a.Active {
		return TimeEntryActivityView{}, domain.ErrNotFound
	}
	projects := []Project{}
	q := s.st.Read.NewSelect().Model(&projects).Where("active").Order("id")
	if !viewer.Admin {
		q = q.Where("public")
	}
	if err := s.scan(ctx, s.st.Read, q, &projects); err != nil {
		return TimeEntryActivityView{}, err
	}
	if err := s.loadParents(ctx, s.st.Read, projects); err != nil {
		return TimeEntryActivityView{}, err
	}
	return TimeEntryActivityView{TimeEntryActivity: a, Projects: projects}, nil
}
