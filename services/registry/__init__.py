"""The registry service: Credit subjects and regions, household files (一户一档), data collection and import, civility evaluations (乡风文明评议), negative-list records (信用评定负面清单) and the joint review (联审)."""
