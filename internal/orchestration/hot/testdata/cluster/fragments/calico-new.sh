#!/bin/sh
echo calico new
