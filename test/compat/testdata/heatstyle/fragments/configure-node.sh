#!/bin/sh
echo "configuring a $FLAVOR node"
