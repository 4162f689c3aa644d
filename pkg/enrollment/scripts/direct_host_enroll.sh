#!/bin/bash
PATCHMON_URL="${PATCHMON_URL:-https://patchmon.example.com}"
