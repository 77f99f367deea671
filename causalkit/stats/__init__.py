"""The pure numerical core shared by every shape: numbers in, numbers out.

Modules (each knows nothing of specs, files or engines; all broadcast over numpy arrays):

* :mod:`causalkit.stats.effects` -- Welch t, two-proportion z, absolute and relative
  (delta-method) effects with intervals;
* :mod:`causalkit.stats.delta` -- the delta method for ratios of means;
* :mod:`causalkit.stats.cuped` -- CUPED variance reduction for means and ratios;
* :mod:`causalkit.stats.sequential` -- always-valid mSPRT inference and Lan-DeMets
  group-sequential boundaries;
* :mod:`causalkit.stats.multiplicity` -- Bonferroni, Holm and Benjamini-Hochberg;
* :mod:`causalkit.stats.srm` -- the sample ratio mismatch test;
* :mod:`causalkit.stats.power` -- sample size, MDE and power.

Example:
    >>> from causalkit.stats.effects import welch_from_sums
    >>> round(float(welch_from_sums(3407, 1396.87, 52377.9767, 3461, 2422.7, 134698.29).p_value), 5)
    0.02016
"""
