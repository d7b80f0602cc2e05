package orchestration

import (
	"net/http"

	v1 "github.com/slipway/slipway/pkg/apis/orchestration/v1"

	"github.com/slipway/slipway/internal/api"
	"github.com/slipway/slipway/internal/orchestration/engine"
)

// validate answers `openstack orchestration template validate`.
func (s *Server) validate(w http.ResponseWriter, r *http.Request) error {
	var in v1.StackCreate
	if err := decode(r, &in); err != nil {
		return err
	}
	req, err := request(r, &in)
	if err != nil {
		return err
	}
	res, err := s.engine.Validate(r.Context(), engine.ValidateRequest{
		Template: req.Template, Files: req.Files, Environment: req.Environment, Parameters: req.Parameters,
	})
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, res)
	return nil
}
