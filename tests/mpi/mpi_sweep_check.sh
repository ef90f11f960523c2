#!/usr/bin/env bash
# archsim sweep --mpi over 2 ranks gives exactly the local result (results.csv and results.json).
# Needs an archsim built with -DARCHSIM_ENABLE_MPI=ON and mpirun (Debian openmpi-bin).
set -u
archsim=$1
sweep=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1  # CI runs as root
# Exit 1 means some points failed (the sweep holds failing points on purpose); more is an error.
code=0
mpirun --oversubscribe -np 2 "$archsim" sweep "$sweep" --mpi --out "$tmp/mpi" || code=$?
[ "$code" -le 1 ] || { echo "FAIL: mpirun exited $code"; exit 1; }
code=0
"$archsim" sweep "$sweep" --quiet --jobs 1 --out "$tmp/local" >/dev/null 2>&1 || code=$?
[ "$code" -le 1 ] || { echo "FAIL: local sweep exited $code"; exit 1; }
for f in results.csv results.json; do
  cmp "$tmp/mpi/$f" "$tmp/local/$f" || { echo "FAIL: MPI $f differs from the local one"; diff "$tmp/mpi/$f" "$tmp/local/$f" | head; exit 1; }
done
echo "MPI sweep over 2 ranks equals the local sweep"
