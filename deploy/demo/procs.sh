# procs.sh — sourced by the demos (deploy/demo.sh, deploy/demo-national.sh):
# the processes a demo starts, kept in `pids`, stopped on Ctrl-C, TERM or
# exit: TERM to each, up to TRIES × 0.2 s for all to go, then KILL.
#   usage: . procs.sh; demo_procs_trap TRIES "while stopping" "once stopped"
#          ... "$prog" & pids+=($!)
pids=()
demo_procs_stop () {
  trap - INT TERM EXIT
  echo; echo "demo: $demo_procs_stopping"
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for _ in $(seq "$demo_procs_tries"); do
    alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.2
  done
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "demo: $demo_procs_stopped"
}
demo_procs_trap () {
  demo_procs_tries=$1 demo_procs_stopping=$2 demo_procs_stopped=$3
  trap 'demo_procs_stop; exit 130' INT
  trap 'demo_procs_stop; exit 143' TERM
  trap 'demo_procs_stop' EXIT
}
