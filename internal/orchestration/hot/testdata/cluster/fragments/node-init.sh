#!/bin/sh
echo "I am $ROLE number $INDEX, API at $API_IP"
$WC_NOTIFY --data-binary '{"status": "SUCCESS"}'
