package main

// baseTemplate is the network every measured server is on: a subnet with
// a router to the public network, through which servers reach the API to
// signal.
const baseTemplate = `
heat_template_version: 2021-04-16
resources:
  net:
    type: OS::Neutron::Net
  subnet:
    type: OS::Neutron::Subnet
    properties:
      network: {get_resource: net}
      cidr: 10.0.0.0/24
  router:
    type: OS::Neutron::Router
    properties:
      external_gateway_info: {network: public}
  router_interface:
    type: OS::Neutron::RouterInterface
    properties:
      router: {get_resource: router}
      subnet: {get_resource: subnet}
outputs:
  subnet:
    value: {get_resource: subnet}
`

// oneTemplate is one server whose user_data signals its wait condition
// with curl_cli, and the wait condition: CREATE_COMPLETE means the server
// booted, its agent ran the script, and the signal came back.
const oneTemplate = `
heat_template_version: 2021-04-16
parameters:
  subnet: {type: string}
resources:
  handle:
    type: OS::Heat::WaitConditionHandle
  ready:
    type: OS::Heat::WaitCondition
    properties:
      handle: {get_resource: handle}
      timeout: 120
  server:
    type: OS::Nova::Server
    properties:
      image: slipway-node
      flavor: m1.tiny
      networks: [{subnet: {get_param: subnet}}]
      user_data_format: RAW
      user_data:
        str_replace:
          template: |
            #!/bin/sh
            wc_notify --fail --silent --data-binary '{"status": "SUCCESS"}'
          params:
            wc_notify: {get_attr: [handle, curl_cli]}
`

// groupTemplate is count servers of oneTemplate, created in parallel.
const groupTemplate = `
heat_template_version: 2021-04-16
parameters:
  subnet: {type: string}
  count: {type: number}
resources:
  group:
    type: OS::Heat::ResourceGroup
    properties:
      count: {get_param: count}
      resource_def:
        type: member.yaml
        properties:
          subnet: {get_param: subnet}
`
