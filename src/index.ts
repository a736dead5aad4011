// The entry the runner starts. Everything happens in `run()`, which reports
// its own failures and sets the exit code. The cancel signals are listened
// for first, before the rest of the bundle loads.
import './cancel-signals.js'
import { run } from './main.js'

// Only a run that reaches a green verdict clears this: should the process
// ever run out of work before a verdict, the step fails instead of passing.
process.exitCode = 1
void run()
