"""The e-invoicing reform (LEGAL.md §3): Encaisse as a "solution compatible" talking to an
approved platform (plateforme agréée, PA) through the AFNOR XP Z12-013 API.

- `models`: the company's connection, the flows sent (each with a tracking id stored before
  the call, so a retry never submits twice), the lifecycle statuses, the received invoices;
- `client`: the platform behind a small interface (`Plateforme`), AFNOR's API its first
  implementation;
- `services`: queue an issued invoice, submit a flow, record a status, send "encaissée" (212);
- `hooks`: what the apps above facturation do when a status arrives (a dispute, a hold on
  dunning), registered from their `AppConfig.ready`;
- `reception`: supplier invoices received through the platform;
- `ereporting`: what is not e-invoiced, aggregated per period and transmitted.
"""
