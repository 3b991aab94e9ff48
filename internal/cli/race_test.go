//go:build race

package cli

// raceDetector says this test binary was built with -race.
const raceDetector = true
