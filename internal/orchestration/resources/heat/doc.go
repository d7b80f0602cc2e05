// Package heat implements the OS::Heat::* resource types: placeholders and
// values (None, Value, RandomString, TestResource), groups as nested stacks
// (ResourceGroup, AutoScalingGroup with ScalingPolicy, SoftwareDeploymentGroup),
// wait conditions, software configuration and deployments, and nested
// stacks (OS::Heat::Stack and template resources). Register adds them all
// to a registry.
package heat
