"""mirrorstack's benchmark: what the front saves and what it costs, on the real stack.

`invoke bench` runs it. The modules, one job each:

    stacks    a throwaway kit copy with the bench profiles; quickstart, doit, down
    images    random images of known size pushed into the local upstream
    pulls     concurrent skopeo pulls and their wall time
    counters  bytes the upstream served, memory and storage of each service
    machine   the machine the figures come from
    results   the figures of one run, with median and range
    report    the table and bench/RESULTS.md
    run       the entry point: every measurement, in order, on both stacks
"""
