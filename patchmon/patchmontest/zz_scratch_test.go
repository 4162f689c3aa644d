package patchmontest

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func TestZZBench(t *testing.T) {
	DatabaseURL(t)
	ctx := context.Background()
	for _, strat := range []string{"", " STRATEGY FILE_COPY", " TEMPLATE template0", " TEMPLATE template0 STRATEGY FILE_COPY"} {
		start := time.Now()
		for i := range 20 {
			name := fmt.Sprintf("zz_%d", i)
			if _, err := pgState.admin.Exec(ctx, "CREATE DATABASE "+name+strat); err != nil {
				t.Fatal(err)
			}
		}
		el := time.Since(start)
		for i := range 20 {
			pgState.admin.Exec(ctx, fmt.Sprintf("DROP DATABASE zz_%d WITH (FORCE)", i))
		}
		t.Logf("%q: %v per create", strat, el/20)
	}
	start := time.Now()
	for i := range 20 {
		pgState.admin.Exec(ctx, fmt.Sprintf("CREATE DATABASE zz_%d", i))
	}
	start = time.Now()
	for i := range 20 {
		pgState.admin.Exec(ctx, fmt.Sprintf("DROP DATABASE zz_%d WITH (FORCE)", i))
	}
	t.Logf("drop: %v", time.Since(start)/20)
}
