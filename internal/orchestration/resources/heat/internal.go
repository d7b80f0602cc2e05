package heat

// Every OS::Heat::* type keeps its resources in the engine's records, so
// all of them are resources.Internal.

// Internal implements resources.Internal.
func (stateless) Internal() {}

// Internal implements resources.Internal: the nested stack's records are
// written through the engine.
func (nestedBase) Internal() {}

// Internal implements resources.Internal.
func (TestResource) Internal() {}

// Internal implements resources.Internal.
func (RandomString) Internal() {}

// Internal implements resources.Internal.
func (ScalingPolicy) Internal() {}

// Internal implements resources.Internal.
func (SoftwareDeployment) Internal() {}

// Internal implements resources.Internal.
func (WaitConditionHandle) Internal() {}

// Internal implements resources.Internal.
func (WaitCondition) Internal() {}

// Internal implements resources.Internal.
func (softwareConfigBase) Internal() {}

// Internal implements resources.Internal.
func (*multipartMime) Internal() {}
