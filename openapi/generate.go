package openapi

//go:generate go tool oapi-codegen -config oapi-codegen.yaml patchmon.yaml
