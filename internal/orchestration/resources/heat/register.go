package heat

import (
	"errors"

	"github.com/slipway/slipway/internal/orchestration/resources"
)

// Register adds every OS::Heat::* type to reg, and the plugin that
// implements template resources.
func Register(reg *resources.Registry) error {
	var errs []error
	for name, p := range map[string]resources.Plugin{
		"OS::Heat::None":                    None{},
		"OS::Heat::Value":                   Value{},
		"OS::Heat::RandomString":            RandomString{},
		"OS::Heat::TestResource":            TestResource{},
		"OS::Heat::ResourceGroup":           ResourceGroup{},
		"OS::Heat::AutoScalingGroup":        AutoScalingGroup{},
		"OS::Heat::ScalingPolicy":           ScalingPolicy{},
		"OS::Heat::WaitConditionHandle":     WaitConditionHandle{},
		"OS::Heat::WaitCondition":           WaitCondition{},
		"OS::Heat::SoftwareConfig":          SoftwareConfig(),
		"OS::Heat::StructuredConfig":        StructuredConfig(),
		"OS::Heat::CloudConfig":             CloudConfig(),
		"OS::Heat::MultipartMime":           MultipartMime(),
		"OS::Heat::SoftwareDeployment":      SoftwareDeployment{},
		"OS::Heat::SoftwareDeploymentGroup": SoftwareDeploymentGroup{},
		"OS::Heat::Stack":                   Stack{},
	} {
		errs = append(errs, reg.Register(name, p))
	}
	reg.SetTemplatePlugin(NewTemplateResource)
	return errors.Join(errs...)
}
