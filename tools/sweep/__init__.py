# SPDX-License-Identifier: Apache-2.0
"""smmu-sweep: runs smmu-sim over a grid of scenario values and collects the reports.

Standard library only; matplotlib (Debian's python3-matplotlib) is used for the plots
when it is importable, and the sweep works without it.
"""
