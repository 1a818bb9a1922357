"""The merchant service: Merchants and offers of the credit business circle (信用商圈), public benefits, household credit codes (一户一码), POS verify and redeem."""
