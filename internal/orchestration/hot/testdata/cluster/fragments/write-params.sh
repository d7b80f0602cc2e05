#!/bin/sh
cat > /etc/sysconfig/heat-params <<EOP
KUBE_TAG="$KUBE_TAG"
LABELS='$LABELS'
DNS="$DNS"
EOP
