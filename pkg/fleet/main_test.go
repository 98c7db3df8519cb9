package fleet_test

import (
	"testing"

	"github.com/bargehq/barge/internal/localcluster"
)

func TestMain(m *testing.M) { localcluster.Main(m) }
