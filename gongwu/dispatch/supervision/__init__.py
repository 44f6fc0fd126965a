"""Trip supervision (用车监督): rules that check every finished trip and, every night, every car's day against
its bookings, the working calendar and sealed periods, the approved destination, the routed distance, the
odometer, fuel-card transactions and charging sessions — and a per-car normal pattern that flags unusual night
parking and weekend movement. Each finding carries its evidence and a status a supervisor sets.
"""
