#!/bin/sh
echo calico old
